slctl validate -f active-passive
