/*
 * Test-only stand-in for Windows' bcryptprimitives.dll, which Wine 8 lacks:
 * Go 1.26's runtime calls bcryptprimitives!ProcessPrng for its random bytes
 * and will not start without it. This forwards to bcrypt!BCryptGenRandom,
 * which Wine has. It is copied into the throw-away Wine prefix's system32
 * only; nothing Sesame ships uses it.
 */
#include <windows.h>

typedef LONG NTSTATUS;
NTSTATUS WINAPI BCryptGenRandom(void *alg, PUCHAR buf, ULONG len, ULONG flags);
#define BCRYPT_USE_SYSTEM_PREFERRED_RNG 0x00000002

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	while (len > 0) {
		ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
		if (BCryptGenRandom(NULL, data, n, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0)
			return FALSE;
		data += n;
		len -= n;
	}
	return TRUE;
}
