// SPDX-License-Identifier: GPL-2.0
/* Benchmark workload: the program bench-micro execs, doing nothing like /bin/true. */
int main(void)
{
	return 0;
}
