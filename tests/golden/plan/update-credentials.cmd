SLGOLDEN_TARGET_PASSWORD=rotated-golden-pass slctl diff -f inputs/update-credentials --observed inputs/update-credentials.observed.json --state-dir inputs/update-credentials-state --set default
