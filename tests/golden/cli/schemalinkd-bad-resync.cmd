schemalinkd --manifests d --resync 10x
