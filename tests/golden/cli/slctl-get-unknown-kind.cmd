slctl get widgets -f x.yaml
