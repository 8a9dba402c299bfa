# Benchmarks (plain timing programs printing one JSON object per line). Include from the top-level CMakeLists.txt
# with `include(bench/bench.cmake)`; each bench/<name>_bench.cc becomes the executable build/bin/<name>_bench.
file(GLOB NEMOTRON_BENCH_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*_bench.cc)
foreach(src ${NEMOTRON_BENCH_SOURCES})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_link_libraries(${name} PRIVATE nemotron_lib)
endforeach()
