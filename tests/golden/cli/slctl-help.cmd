slctl --help
