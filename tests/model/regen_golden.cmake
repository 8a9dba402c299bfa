# cmake -P helper of embedded_model_golden_regen: regenerate golden.json and require identical bytes.
execute_process(COMMAND ${PYTHON} ${SCRIPT} -m ${MODEL} --out ${OUT} RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "make_golden.py failed (${rc})")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${OUT} ${MODEL}/golden.json RESULT_VARIABLE diff)
if(NOT diff EQUAL 0)
  message(FATAL_ERROR "regenerated ${OUT} differs from ${MODEL}/golden.json")
endif()
