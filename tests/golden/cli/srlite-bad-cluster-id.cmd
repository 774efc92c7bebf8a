srlite --cluster-id east:1
