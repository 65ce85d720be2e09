/* runtime/main.c — placeholder until the executor lands. */
#include <stdio.h>
int main(void)
{
	fputs("mrun: not built yet\n", stderr);
	return 2;
}
