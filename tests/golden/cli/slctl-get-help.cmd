slctl get --help
