# describe.awk: rows.tsv to the "what each benchmark measures" table.
BEGIN { FS = "\t"; print "| section | benchmark | what it measures | under runsc |"; print "|---|---|---|---|" }
/^#/ { next }
{ print "| " $1 " | " $3 " | " $6 " | " $5 " |" }
