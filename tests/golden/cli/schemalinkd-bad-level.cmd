schemalinkd --manifests d --log-level loud
