srlite --wildcard-scope everything
