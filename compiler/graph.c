/* compiler/graph.c — placeholder until its issue lands. */
typedef int mp_placeholder_graph;
