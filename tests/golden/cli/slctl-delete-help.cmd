slctl delete --help
