// SPDX-License-Identifier: GPL-2.0
/* helixagent: the commands are in src/cmd/, one file each, behind the table in src/cmd/table.c. */
#include "cmd/cmd.h"

int main(int argc, char **argv)
{
	return hx_main(argc, argv);
}
