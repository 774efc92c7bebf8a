slctl validate -f alias-bomb.yaml
