slctl apply --help
