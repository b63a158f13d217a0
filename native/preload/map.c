/* map.c — preprocessed by the Makefile into the linker version script: the
 * export list is the wrapper tables, so a new wrapper cannot be forgotten. */
#define PT_W(RT, NAME, ...) NAME;
#define PT_H(NAME) NAME;
{
global:
#include "wrappers.def"
#include "handwritten.def"
local: *;
};
