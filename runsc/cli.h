// The runsc command line: runc's commands and flags, dispatched from one table.
#ifndef RUNSC_RUNSC_CLI_H_
#define RUNSC_RUNSC_CLI_H_

namespace runsc {

// Parses argv, runs the command and returns the process exit status. Errors
// print one line to stderr (and to the --log file as an error entry) and
// give status 1; usage errors too.
int RunCli(int argc, char** argv);

}  // namespace runsc

#endif  // RUNSC_RUNSC_CLI_H_
