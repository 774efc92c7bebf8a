schemalinkd --help
