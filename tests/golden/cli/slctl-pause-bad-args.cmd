slctl pause exporter foo -f x.yaml
