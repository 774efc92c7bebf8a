srlite --max-exporters 0
