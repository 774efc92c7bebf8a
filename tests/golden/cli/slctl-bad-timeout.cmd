slctl apply -f x.yaml --timeout 5parsecs
