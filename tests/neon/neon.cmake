# The AArch64 NEON kernels: the library cross-compiled for AArch64 (without the HTTP server) and the kernel check run
# under QEMU user-mode emulation (run.sh). Fails on any mismatch or build error; skips (exit 77) only when the cross
# compiler or QEMU is missing. Not in sanitizer builds (the check is built by its own cross toolchain). Label: neon.
if(NOT NEMOTRON_SANITIZE)
  add_test(NAME neon_kernels_under_qemu
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/run.sh ${CMAKE_CURRENT_BINARY_DIR}/neon)
  # COST: the longest test (a one-job cross build of the library, about 5 minutes), so ctest starts it first.
  set_tests_properties(neon_kernels_under_qemu PROPERTIES LABELS "neon" SKIP_RETURN_CODE 77 TIMEOUT 1200 COST 10000)
endif()
