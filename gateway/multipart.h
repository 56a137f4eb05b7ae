/* multipart: one named part of a multipart/form-data body (RFC 7578), as
 * wx.uploadFile and a browser's FormData send a file.
 *
 * A leaf: no allocation, nothing kept; the part is a view into the body,
 * which the HTTP layer has already bounded (upload_max_bytes). Strict where
 * it matters: the boundary comes from the Content-Type (1..70 characters
 * of RFC 2046's set), each part's headers are at most 8 KiB, at most 32
 * parts, the part must be closed by its delimiter (a body cut short is
 * refused, never read as a shorter file), and the name is matched exactly
 * (`filename="file"` is not `name="file"`). */
#ifndef LINLI_MULTIPART_H
#define LINLI_MULTIPART_H

#include <stddef.h>

#define MULTIPART_BOUNDARY_MAX 70
#define MULTIPART_HEADERS_MAX 8192
#define MULTIPART_PARTS_MAX 32

/* 0 with *out, *n the content of the first part named name; otherwise
 * -EINVAL and *why (static text). */
int multipart_file(const char *content_type, const void *body, size_t len, const char *name,
		   const void **out, size_t *n, const char **why);

#endif
