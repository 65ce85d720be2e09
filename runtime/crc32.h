/*
 * crc32.h — CRC-32 (IEEE 802.3) of the bytecode file (schema/bytecode.h).
 */
#ifndef MOUNTPLAN_CRC32_H
#define MOUNTPLAN_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32 of len bytes: reflected, polynomial 0xEDB88320, init/xorout 0xFFFFFFFF. */
uint32_t crc32_bytes(const void *data, size_t len);

#endif
