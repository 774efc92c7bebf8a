slctl validate -f active-active-contexts
