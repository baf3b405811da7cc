#include "runsc/cli.h"

int main(int argc, char** argv) { return runsc::RunCli(argc, argv); }
