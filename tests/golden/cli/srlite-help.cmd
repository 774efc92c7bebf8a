srlite --help
