slctl validate -f enum-typos.yaml
