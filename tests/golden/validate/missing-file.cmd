slctl validate -f no-such-file.yaml -f no-such-dir/
