slctl export --help
