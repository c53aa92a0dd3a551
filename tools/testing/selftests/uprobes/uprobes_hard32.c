// SPDX-License-Identifier: GPL-2.0
/*
 * The ia32 program of uprobes_hard, built with gcc -m32 -static.
 * "uprobes_hard32 N" calls h32_target(i) and h32_ret(i) for i in 0..N-1 and
 * exits 0 if every result was right.
 */
#include <stdlib.h>

/* Hide a value from the optimiser so calls cannot be inlined or cloned. */
#define OPAQUE(x) ({ __typeof__(x) __v = (x); asm volatile("" : "+r"(__v)); __v; })

int h32_target(int x)
{
	asm volatile("" ::: "memory");
	return x * 5 + 2;
}

int h32_ret(int x)
{
	asm volatile("" ::: "memory");
	return x * 7 - 1000;
}

int main(int argc, char **argv)
{
	int (*t)(int x) = OPAQUE(&h32_target);
	int (*r)(int x) = OPAQUE(&h32_ret);
	int i, n, bad = 0;

	if (argc != 2)
		return 2;
	n = atoi(argv[1]);
	for (i = 0; i < n; i++) {
		if (t(i) != i * 5 + 2)
			bad++;
		if (r(i) != i * 7 - 1000)
			bad++;
	}
	return bad ? 1 : 0;
}
