slctl validate --help
