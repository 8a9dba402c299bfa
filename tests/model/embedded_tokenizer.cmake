# The embedded model's tokenizer (models/nemotron-brown-tiny/tokenizer.json, trained by
# tools/train/train_bpe.py) encodes the held-out Brown split and a set of edge cases (special tokens,
# digits, whitespace runs, non-ASCII) to exactly the same ids in our Python encoder and in
# @lenml/tokenizers, an independent implementation of the Hugging Face pipeline.
if(PYTHON AND NODE AND EXISTS ${NEMOTRON_JS_DIR}/node_modules/@lenml/tokenizers)
  add_test(NAME embedded_tokenizer_matches_hf
           COMMAND ${PYTHON} ${CMAKE_SOURCE_DIR}/tools/train/check_tokenizer.py
                   --node ${NODE} --js-dir ${NEMOTRON_JS_DIR}
                   --model ${CMAKE_SOURCE_DIR}/models/nemotron-brown-tiny
                   --text ${CMAKE_SOURCE_DIR}/models/brown-heldout.txt)
endif()
