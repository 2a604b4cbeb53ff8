// The general reference text shipped with the studio: plain everyday English on many subjects, for the
// forgetting meter (perplexity before and after fine-tuning) and for replay (general rows mixed into training).
// Written for WebTune Studio. Licence: CC0 1.0 (public domain dedication); use it for anything.

export const GENERAL_TEXT_LICENSE = 'Written for WebTune Studio; released under CC0 1.0 (public domain dedication).';

export const GENERAL_TEXT = `The morning train was late again, so most of the people on the platform had given up reading the timetable and were watching the birds on the roof instead. A woman with a bicycle checked her watch, sighed, and bought a cup of tea from the small kiosk by the stairs. When the train finally arrived, it was so full that some passengers decided to wait for the next one.

Bread is one of the oldest prepared foods. Flour, water, salt and yeast are mixed into a dough, which is kneaded until it becomes smooth and elastic. The dough is left to rise in a warm place, shaped into loaves, and baked in a hot oven. The crust turns brown because sugars and proteins react with each other at high temperatures, which also gives fresh bread its smell.

Water covers about seventy per cent of the surface of the Earth, but almost all of it is salt water in the oceans. Fresh water is found in rivers, lakes, glaciers and under the ground. The sun heats the water, which evaporates, rises, cools and forms clouds. When the droplets in a cloud grow heavy enough, they fall as rain or snow, and the cycle begins again.

My grandfather kept a small garden behind his house. Every spring he planted beans, tomatoes, potatoes and a row of sunflowers that grew taller than the fence. He said that a garden teaches patience, because nothing you do today will show for weeks. In the autumn he gave away more vegetables than he could eat, and the neighbours brought him jam in return.

A library is a quiet place, but it is rarely empty. Students come to study for their exams, children sit on the floor with picture books, and older readers look through the newspapers. Librarians help people find information, choose a novel, or fill in a form. Many libraries now lend not only books but also films, music and even tools.

The heart is a muscle about the size of a fist. It pumps blood through the body, carrying oxygen from the lungs and nutrients from food to every cell. An adult heart beats around seventy times a minute when resting, and faster during exercise. Regular walking, a balanced diet and enough sleep all help to keep it healthy.

Before the invention of the printing press, books were copied by hand, which made them rare and expensive. Printing with movable type allowed many identical copies to be made quickly. Ideas spread faster than ever before, more people learned to read, and the way knowledge was shared changed for good.

It rained all weekend, so we stayed inside and played cards at the kitchen table. My sister won almost every game and would not stop smiling about it. In the evening the rain stopped, the clouds opened, and we walked down to the river to see how high the water had risen. The path was muddy, but the air smelled clean and cool.

Mathematics is the study of numbers, shapes and patterns. People use it every day, often without noticing: when they split a bill between friends, measure a room for a new carpet, or work out how long a journey will take. Simple rules, such as adding, subtracting, multiplying and dividing, can be combined to solve surprisingly difficult problems.

Cities grow when people move from the countryside to find work. New houses, schools, shops and roads must be built, and public transport becomes more important as traffic increases. Parks and trees make a city pleasant to live in, and they also cool the streets on hot summer days.

The old lighthouse stood at the end of a rocky point. For more than a hundred years its light had warned ships away from the rocks. Today the light is automatic, and the keeper's cottage has become a small museum where visitors can climb the narrow stairs and look out over the sea.

Learning a new language takes time and practice. At first even simple sentences feel strange, and it is easy to forget new words. Listening to songs, reading short stories and speaking with other learners all help. Mistakes are a normal part of learning, and most people are happy to help someone who is trying to speak their language.

Elephants are the largest land animals alive today. They live in family groups led by an older female, and they can remember places where they found water many years before. Their trunks are strong enough to pull down branches and gentle enough to pick up a single leaf.

When you write a letter to a friend, start by asking how they are, share some news of your own, and end with a warm wish for the days ahead. A short, honest letter is worth more than a long one written only out of duty. Many people still keep the letters they received years ago, because a letter can be read again and again.
`;
