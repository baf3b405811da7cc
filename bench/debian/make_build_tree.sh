#!/bin/bash
# make_build_tree.sh DIR: writes the "small build" project: 50 generated C files and a Makefile.
set -euo pipefail
dir=$1
rm -rf "$dir"
mkdir -p "$dir"
for i in $(seq -w 1 50); do
  {
    echo '#include <stdio.h>'
    echo '#include <string.h>'
    for f in $(seq 1 8); do
      echo "int f${i}_${f}(const char* s, int n) {"
      echo "  int acc = n;"
      echo "  for (size_t k = 0; k < strlen(s); k++) acc = acc * 31 + s[k] * ${f};"
      echo "  if (acc % 7 == ${f} % 7) printf(\"%d\\n\", acc);"
      echo "  return acc ^ ${f};"
      echo "}"
    done
  } > "$dir/unit$i.c"
done
{
  echo 'SRCS := $(wildcard unit*.c)'
  echo 'OBJS := $(SRCS:.c=.o)'
  echo 'CFLAGS := -O2'
  echo 'all: libunits.a'
  printf 'libunits.a: $(OBJS)\n\tar rcs $@ $(OBJS)\n'
  printf 'clean:\n\trm -f $(OBJS) libunits.a\n'
} > "$dir/Makefile"
