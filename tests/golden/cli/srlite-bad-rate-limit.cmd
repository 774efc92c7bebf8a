srlite --rate-limit 20:-1
