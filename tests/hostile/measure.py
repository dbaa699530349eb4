"""Run a command as its own child and report the child's peak memory.

A child forked from the test process would count the test process's memory
as its own (Linux keeps the highest RSS across exec); forked from this small
process, the figure is the plugin's. Usage: measure.py RSS_FILE COMMAND...
"""

import os
import sys


def main():
    rss_file, command = sys.argv[1], sys.argv[2:]
    pid = os.fork()
    if pid == 0:
        try:
            os.execv(command[0], command)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    with open(rss_file, "w") as handle:
        handle.write(str(usage.ru_maxrss))
    os._exit(os.waitstatus_to_exitcode(status) & 0xff)


if __name__ == "__main__":
    main()
