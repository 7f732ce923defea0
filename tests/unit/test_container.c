// SPDX-License-Identifier: BSD-2-Clause
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "container.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define UID "6f1d3a52-9c1b-4c55-8a9e-2b6f0c7d1e3a"
#define UID_ "6f1d3a52_9c1b_4c55_8a9e_2b6f0c7d1e3a"

static void test_container__paths(void **state)
{
	static const struct {
		const char *path, *id, *pod;
	} cases[] = {
		{ "/", "", "" },
		{ "/user.slice/user-0.slice/session-1.scope", "", "" },
		{ "/system.slice/docker-" ID ".scope", ID, "" },
		{ "/docker/" ID, ID, "" },
		{ "/system.slice/containerd.service", "", "" },
		{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
		  ".slice/cri-containerd-" ID ".scope",
		  ID, UID },
		{ "/kubepods/burstable/pod" UID "/" ID, ID, UID },
		{ "/machine.slice/libpod-" ID ".scope/container", ID, "" },
		{ "/system.slice/crio-" ID ".scope", ID, "" },
		/* near misses */
		{ "/system.slice/docker-" ID "0.scope", "", "" },
		{ "/system.slice/docker-0123.scope", "", "" },
		{ "/x/podcast", "", "" },
		{ "/kubepods/pod" UID "x", "", "" },
		{ "/x/"
		  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg",
		  "", "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bw_container c;

		bw_container__parse(cases[i].path, &c);
		if (strcmp(c.id, cases[i].id) || strcmp(c.pod_uid, cases[i].pod))
			fail_msg("'%s': got id '%s' pod '%s'", cases[i].path, c.id, c.pod_uid);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_container__paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
