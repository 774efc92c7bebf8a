srlite --tls-cert c.pem
