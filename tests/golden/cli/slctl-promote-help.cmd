slctl promote --help
