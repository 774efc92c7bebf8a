slctl validate -f tabs.yaml
