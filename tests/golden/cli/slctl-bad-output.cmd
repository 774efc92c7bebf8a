slctl get links -f x.yaml -o xml
