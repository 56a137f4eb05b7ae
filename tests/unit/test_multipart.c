/* multipart: the file part of what wx.uploadFile and FormData send; cut,
 * malformed and look-alike bodies refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "multipart.h"

#define CT "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW"
#define B "------WebKitFormBoundary7MA4YWxkTrZu0gW"

static int get(const char *ct, const char *body, size_t len, const char **out, size_t *n)
{
	const void *o = NULL;
	const char *why = NULL;
	int rc = multipart_file(ct, body, len, "file", &o, n, &why);
	*out = o;
	if (rc)
		assert_non_null(why);
	return rc;
}

static void file_among_fields(void **state)
{
	/* As wx.uploadFile sends it: formData fields, then the file. */
	static const char body[] =
		B "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nthread\r\n"
		B "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"tmp_1.jpg\"\r\n"
		"Content-Type: image/jpeg\r\n\r\n\xFF\xD8\xFF\r\n--\x00zz\r\n" B "--\r\n";
	const char *out;
	size_t n;
	assert_int_equal(get(CT, body, sizeof body - 1, &out, &n), 0);
	assert_int_equal(n, 10);
	assert_memory_equal(out, "\xFF\xD8\xFF\r\n--\x00zz", 10); /* CRLF and dashes inside the file are data */
}

static void quoted_boundary_preamble_and_no_headers(void **state)
{
	static const char body[] = "preamble to ignore\r\n--a b'c\r\n\r\nnot named\r\n"
		"--a b'c\r\ncontent-disposition: FORM-DATA; NAME=file\r\n\r\nXYZ\r\n--a b'c--";
	const char *out;
	size_t n;
	assert_int_equal(get("multipart/form-data; charset=utf-8; boundary=\"a b'c\"", body, sizeof body - 1, &out, &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(out, "XYZ", 3);
}

static void refused(void **state)
{
	const char *out;
	size_t n;
	static const char good[] = B "\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nDATA\r\n" B "--\r\n";
	/* Cut short anywhere before the closing delimiter. */
	for (size_t cut = 0; cut < sizeof good - 1 - 6; cut++)
		assert_int_equal(get(CT, good, cut, &out, &n), -EINVAL);
	/* No boundary, or a bad one. */
	assert_int_equal(get("multipart/form-data", good, sizeof good - 1, &out, &n), -EINVAL);
	assert_int_equal(get("multipart/form-data; boundary=", good, sizeof good - 1, &out, &n), -EINVAL);
	assert_int_equal(get("multipart/form-data; boundary=\"unterminated", good, sizeof good - 1, &out, &n), -EINVAL);
	assert_int_equal(get("multipart/form-data; boundary=a<b", good, sizeof good - 1, &out, &n), -EINVAL);
	char longb[120] = "multipart/form-data; boundary=";
	memset(longb + strlen(longb), 'x', 71);
	assert_int_equal(get(longb, good, sizeof good - 1, &out, &n), -EINVAL);
	/* filename="file" is not name="file"; and a name that only starts so. */
	static const char other[] = B "\r\nContent-Disposition: form-data; name=\"files\"; filename=\"file\"\r\n\r\nD\r\n" B "--";
	assert_int_equal(get(CT, other, sizeof other - 1, &out, &n), -EINVAL);
	/* Headers without their blank line, and a boundary line without CRLF. */
	static const char nohead[] = B "\r\nContent-Disposition: form-data; name=\"file\"\r\nDATA\r\n" B "--";
	assert_int_equal(get(CT, nohead, sizeof nohead - 1, &out, &n), -EINVAL);
	static const char nocrlf[] = B "Content-Disposition: form-data; name=\"file\"\r\n\r\nD\r\n" B "--";
	assert_int_equal(get(CT, nocrlf, sizeof nocrlf - 1, &out, &n), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(file_among_fields),
		cmocka_unit_test(quoted_boundary_preamble_and_no_headers),
		cmocka_unit_test(refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
