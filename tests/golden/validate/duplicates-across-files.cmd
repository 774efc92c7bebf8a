slctl validate -f across-files
