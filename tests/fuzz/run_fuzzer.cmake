# Runs one fuzz target for a bounded time, as a CTest test:
#   cmake -DFUZZER=prog -DSEEDS=dir -DWORK=dir -DSECONDS=n -P run_fuzzer.cmake
# The seeds are copied to WORK/corpus (the fuzzer adds what it finds there,
# never to the committed seeds); a crashing input is saved under WORK/.
# The environment variable IRON_FUZZ_SECONDS, when set, overrides SECONDS.
# Prints libFuzzer's "Done N runs in S second(s)"; on failure, its whole
# output.
if(DEFINED ENV{IRON_FUZZ_SECONDS})
  set(SECONDS $ENV{IRON_FUZZ_SECONDS})
endif()
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
file(COPY ${SEEDS}/ DESTINATION ${WORK}/corpus)
math(EXPR limit "${SECONDS} + 300")
execute_process(
  COMMAND ${FUZZER} -max_total_time=${SECONDS} -rss_limit_mb=1024 -malloc_limit_mb=1024
          -timeout=10 -detect_leaks=1 -print_final_stats=1 -artifact_prefix=${WORK}/
          ${WORK}/corpus
  RESULT_VARIABLE result
  OUTPUT_VARIABLE output
  ERROR_VARIABLE output
  TIMEOUT ${limit})
file(WRITE ${WORK}/fuzz.log "${output}")
if(NOT result EQUAL 0)
  message("${output}")
  message(FATAL_ERROR "${FUZZER} failed (${result}); inputs and log in ${WORK}")
endif()
string(REGEX MATCH "Done [0-9]+ runs in [0-9]+ second\\(s\\)" done "${output}")
string(REGEX MATCH "stat::new_units_added: *[0-9]+" added "${output}")
message("${done}; ${added}")
