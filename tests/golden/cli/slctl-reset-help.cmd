slctl reset --help
