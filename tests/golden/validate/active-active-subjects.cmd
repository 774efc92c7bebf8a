slctl validate -f active-active-subjects
