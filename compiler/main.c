/* compiler/main.c — placeholder until the compiler lands. */
#include <stdio.h>
int main(void)
{
	fputs("mplan: not built yet\n", stderr);
	return 2;
}
