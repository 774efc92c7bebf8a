slctl diff -f inputs/update-url --observed inputs/update-url.observed.json --state-dir inputs/owned-state --set default
