slctl describe --help
